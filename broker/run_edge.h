// Which frames from a worker begin or end a run of the app. The broker
// forwards worker frames unparsed; only the drain on SIGTERM needs to know
// whether a session is in the middle of a run, and this is how it tells.
#pragma once

#include "broker/frame.h"

namespace sluice::broker {

struct RunEdge {
  bool started = false;   // a RunUpdate with `started`: a run began
  bool finished = false;  // a RunUpdate with `finished`: the run is over
};

// Reads only the root's union tag and two flags of `frame` (a ServerMessage
// from a worker). A frame that is not a RunUpdate, or does not decode, has
// neither edge.
RunEdge RunEdgeOf(const Frame& frame);

}  // namespace sluice::broker

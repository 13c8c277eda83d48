// st::metric: a small muted label, a large value, and the change since
// before as an arrow and text. Colour is never the only signal: the arrow
// shows the direction, and a screen reader hears "up 3 %" / "down 3 %"
// (the arrow and the sign are hidden from it).
import { Element, Metric_DeltaColor as DeltaColor } from '../../generated/page.js';
import { adoptStyle, make } from '../dom.js';

export const member = Element.METRIC;

// Contrast on white / on the sidebar (#f0f2f6), WCAG AA needs 4.5:1:
// green #177233 6.0 / 5.4, red #b3261e 6.5 / 5.8, --muted 5.3 / 4.7.
const STYLE = `
.metric-label { font-size: 0.875rem; color: var(--muted); }
.metric-value { font-size: 2.25rem; line-height: 1.2; overflow-wrap: anywhere; }
.metric-delta { font-size: 1rem; display: inline-block; padding: 0 0.4em; border-radius: 1em; margin-top: 0.25rem; }
.metric-delta-good { color: #177233; background: rgba(33, 195, 84, 0.1); }
.metric-delta-bad { color: #b3261e; background: rgba(255, 43, 43, 0.09); }
.metric-delta-off { color: var(--muted); background: rgba(49, 51, 63, 0.06); }
.metric-spoken {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
}
`;

// The schema's rule: a delta starting with '-' is a fall.
function directionOf(delta) {
  return delta.startsWith('-') ? 'down' : 'up';
}

function toneOf(direction, color) {
  if (color === DeltaColor.OFF) return 'off';
  const good = (direction === 'up') === (color !== DeltaColor.INVERSE);
  return good ? 'good' : 'bad';
}

export function create(element) {
  adoptStyle(STYLE);
  const node = make('div', 'metric');
  const label = make('div', 'metric-label');
  const value = make('div', 'metric-value');
  const delta = make('div', 'metric-delta');
  const shown = make('span');
  shown.setAttribute('aria-hidden', 'true');
  const spoken = make('span', 'metric-spoken');
  delta.append(shown, spoken);
  node.append(label, value, delta);

  const update = (e) => {
    const m = e.metric;
    label.textContent = m.label;
    value.textContent = m.value;
    const text = m.delta;
    delta.hidden = text.length === 0;
    if (delta.hidden) return;
    const direction = directionOf(text);
    delta.className = `metric-delta metric-delta-${toneOf(direction, m.deltaColor)}`;
    delta.dataset.direction = direction;
    shown.textContent = `${direction === 'up' ? '▲' : '▼'} ${text}`;
    spoken.textContent = `${direction} ${text.replace(/^[-+]/, '')}`;
  };
  update(element);
  return { node, update };
}

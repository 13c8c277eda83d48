@0xc9ff3533030433ed;
# The seeds' frame as a serialized message, for the cache benchmark's
# serialize + deserialize baseline (Streamlit's pickle path, in C++ terms).

struct BenchFrame {
  columns @0 :List(List(Float64));
}

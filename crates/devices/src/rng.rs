//! The simulated sensors' randomness: the workspace's seeded generator.
//!
//! A simulated device must be replayable: the same seed gives the same readings, so a test
//! (or a bug report) pins them exactly. The generator lives in the `splitmix` crate, shared
//! with the challenge server; it reads no entropy, so it runs the same natively and in wasm.

pub(crate) use splitmix::SplitMix64;

//! Replays the conformance cases recorded from the reference (tests/conformance/).

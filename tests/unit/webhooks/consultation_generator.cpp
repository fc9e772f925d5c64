// The rooms tests' consultation generator, compiled into this test binary too: the property
// test replays the same simulated consultations over HTTP. (Each test binary globs only its own
// folder, so the source is included rather than listed.)
#include "unit/rooms/consultation.cpp"  // NOLINT(bugprone-suspicious-include)

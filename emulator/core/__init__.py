"""Service-independent machinery: state containers, errors, auth, clock, faults, routing."""

"""The matching rules, one module each, over the run's shared state (`state.RunState`); `engine.match` runs them
in order, strongest evidence first."""

"""After sampling: candidates from every source, relaxed and ranked into distinct polymorphs."""

"""The paper's synthetic experiments: tasks, run specifications and profiles, the result store, the runner, tables."""

"""Plain-Python application state (no Qt): candidates, jobs, the session and its file format."""

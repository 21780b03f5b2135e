"""Qt workers that run engine generators off the GUI thread with cooperative cancel."""

"""livescreen: the command line and the candidate toolkit (livescreen.toolkit)."""

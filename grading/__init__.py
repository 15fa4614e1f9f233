"""livescreen's grading side: nbgrader configuration, rubrics as data, card scoring, scorecards.

Only this side reads a variant's truth; nothing here is shipped to a candidate.
"""

"""Decoys: red herrings planted beside the real cause, one module per kind.

Each looks like a lead at a first glance (a drifting feature, a null-rate jump, a dominant
feature with a suspicious name, a segment that looks worse) and none explains the failure: the
validator checks that removing it leaves the symptom in place.
"""

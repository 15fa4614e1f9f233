"""The candidate toolkit: what the live-diagnosis notebook imports.

Everything reads a candidate folder (data + schema) through ``open_case``; nothing here knows what
was planted in it.
"""

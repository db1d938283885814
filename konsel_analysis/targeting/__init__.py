"""Targeting errors: measured on the survey, expected in the register, and who to visit first."""

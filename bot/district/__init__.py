"""The district: its priorities, targets and results, progress against them, and the weekly digest."""

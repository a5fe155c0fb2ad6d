"""Weekly check-ins on the district's few priorities: the prompt, the answers, support asked of one another, the summary."""

"""How seedflow runs unattended: deployments, schedules, triggers and the folder watcher."""

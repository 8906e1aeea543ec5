"""What ops need to trust a long-running bot: health and metrics, JSON logs, retention, backups."""

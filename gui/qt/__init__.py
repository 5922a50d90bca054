"""Qt adapters over the core: widgets, item models and background workers."""

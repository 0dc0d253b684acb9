"""The business model: entities, value objects and domain errors. Standard library only."""

"""Model plug-ins of ``tinygen train`` / ``tinygen sample``: one module per model."""

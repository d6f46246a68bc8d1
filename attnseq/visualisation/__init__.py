"""Pictures of attention: heatmaps for text."""

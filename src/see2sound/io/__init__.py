"""Files in and out: audio reading/writing and atomic output."""

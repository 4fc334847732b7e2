"""The bridge to the courts' one-data platform for road-traffic disputes."""

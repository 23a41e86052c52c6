"""Families (the agents) and the services they meet."""

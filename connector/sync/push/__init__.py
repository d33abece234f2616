"""Pushing tasks to a tracker whose API accepts them (Kimai, Clockify): the links as tasks."""

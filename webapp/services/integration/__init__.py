"""Integration with other systems: external workers on service tasks, messages from outside."""

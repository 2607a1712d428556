"""Tests of the rate limiters: the in-process one, its lanes, the Redis one."""

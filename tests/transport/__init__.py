"""Tests of the send path: transport, retry policy, the pieces every send loop shares."""

"""Shared logic below the commands: what more than one command needs to know about, or do to, a workspace.

Commands are thin: each parses nothing, decides what to report, and calls this layer (and the store, the git
layer, the gates) to do the work. Nothing here prints.
"""

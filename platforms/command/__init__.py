"""The command platform: a service run by systemd, supervisord or any command line.

``command.CommandPlatform`` runs the configured argv (through ``state.git.proc``), ``command_parse`` reads
what the commands print and ``command_logs`` fetches logs since a time. Standard library only. It must never
import deploystate.verify or deploystate.server.
"""

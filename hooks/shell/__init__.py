"""Reading shell lines: what a command an agent runs would do to git (pure, standard library only).

``shellwords`` unwraps a shell line into the simple commands it runs; ``shellparse`` reads git's options on
them and returns findings with a category. It must never import anything of ours but these two modules.
"""

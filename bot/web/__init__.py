"""The staff web console (`housebot console`, or inside `housebot run --console`).

Kept light on purpose: `bot.settings` imports `bot.web.config`, so nothing here may import the
web framework; the app is in `bot.web.app` and the server in `bot.web.server`.
"""

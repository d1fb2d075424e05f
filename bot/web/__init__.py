"""The built-in web server: the public archive and its feeds, `/healthz` and `/metrics`.

It runs on the bot's event loop and gets only what it uses: the settings, the store and
a few probes of the running bot (`health.Probes`), never the bot itself.
"""

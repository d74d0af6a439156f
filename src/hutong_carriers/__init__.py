"""Reference carrier integrations for Hutong.

Each module here is a plugin registered through the ``hutong.carriers`` entry
point group (see ``pyproject.toml``) and defines ``PLUGIN``, a
`hutong.logistics.plugins.CarrierPlugin`: its payload shape, its tracking
vocabulary and that vocabulary's mapping, its services and prices. The core
(`hutong`) knows none of them; it finds them through the entry points.

They are reference integrations for the demo world and the tests: the payload
shapes and code sets are modelled on the styles of real carriers' push APIs,
not copies of them.
"""

"""Assembly: live assemblies and workshops for worker cooperatives, and their memory."""


def create_app(config=None):
    # Imported here so `assembly serve` can monkey-patch with gevent before Flask loads.
    from assembly.app import create_app as _create_app

    return _create_app(config)

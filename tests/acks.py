"""Reading socket acknowledgements in tests: accepted, or refused with a given error code."""


def ok(ack):
    assert ack["ok"], ack
    return ack


def refused(ack, code):
    assert ack["ok"] is False, ack
    assert ack["error"]["code"] == code, ack
    return ack["error"]

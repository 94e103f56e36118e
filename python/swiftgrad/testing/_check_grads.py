class CheckGradsError(AssertionError): pass
def check_grads(*a, **k): pass

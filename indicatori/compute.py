def refresh_dependants(*a, **k): pass

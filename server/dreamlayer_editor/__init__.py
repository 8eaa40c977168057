"""What the Krita and GIMP plugins share: the protocol client, and the launcher of a managed server.

Standard library only, and no import of the rest of ``dreamlayer``: the editors run it in their own embedded Python,
which has no torch, numpy, requests or Pillow. ``dreamlayer install-plugin`` copies this folder, as a package, into
each plugin's folder (Krita's ``dreamlayer_krita/lib/``, GIMP's ``dreamlayer/``); the plugins import it by its
name, ``dreamlayer_editor``, as the checkout and ``dreamlayer dream --server`` do.

- ``protocol``: the default address, errors, job states, raw pictures and a job's status.
- ``client``: ``DreamClient``, one server's API.
- ``films``: a film's disk need and the server's caps, checked before sending.
- ``wire``: multipart bodies and PNGs without a library.
- ``launcher``: starting and looking after a managed server, and the plugins' settings file.
"""

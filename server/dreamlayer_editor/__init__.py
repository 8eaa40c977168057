"""What the Krita and GIMP plugins share: the editor core.

Standard library only, and no import of the rest of ``dreamlayer``: the editors run it in their own embedded Python,
which has no torch, numpy, requests or Pillow. ``dreamlayer install-plugin`` copies this folder, as a package, into
each plugin's folder (Krita's ``dreamlayer_krita/lib/``, GIMP's ``dreamlayer/``); the plugins import it by its
name, ``dreamlayer_editor``, as the checkout, the server and ``dreamlayer dream --server`` do.

Talking to the server:

- ``protocol``: the default address, errors, job states, raw pictures and a job's status;
- ``client``: ``DreamClient``, one server's API; ``wire``: multipart bodies and PNGs without a library;
- ``follow``: when a job is lost, and sending it again, once;
- ``live``: ``LiveDreamer``, one document's live dreams: the newest offer wins, never blocking the editor;
- ``films``: a film's disk need and the server's caps, checked before sending;
- ``launcher``: starting and looking after a managed server.

What the plugins keep and show:

- ``description``: every setting and preset as the server describes them, the knobs' checks and variation seeds;
- ``shorthand``: the layer mix and channel choice as text (the server reads them with the same functions);
- ``layers``: what a dream layer is called; ``records``: what made it (the CLI's PNGs keep the same record);
- ``settings_file``: the plugins' own settings file, shared with the installer;
- ``atlas``: the channel picker's model (the layer's channel pictures, the picture's strongest channels, the choice).
"""

"""Video: moving pictures, moving sources (needs ``pip install "see2sound[video]"``).

:func:`.track.analyze_video` finds the sources of a video (detection at a
few frames per second, ByteTrack, smoothed trajectories, scene cuts);
:class:`see2sound.Pipeline` runs it like a picture's analysis, then the
sound stage and the renderer; :mod:`.mux` puts the audio back with the
picture.
"""

from ..pipeline import VIDEO_SUFFIXES

__all__ = ["VIDEO_SUFFIXES"]

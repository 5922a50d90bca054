"""The few H.264 sequence parameter set (SPS) fields the sandbox reports: the coded size and the VUI's
``video_full_range_flag`` (ITU-T H.264, 7.3.2.1.1 and E.1.1), read bit by bit; no decoder."""

from __future__ import annotations

from dataclasses import dataclass

# profile_idc values whose SPS carries chroma_format_idc and the bit depths (H.264 7.3.2.1.1)
HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}
SPS_NAL_TYPE = 7


class SpsError(ValueError):
    pass


@dataclass(frozen=True)
class Sps:
    profile_idc: int
    width: int
    height: int
    full_range: bool  # video_full_range_flag; False when the VUI has no video signal type


def unescape(nal: bytes) -> bytes:
    """Drop the emulation-prevention bytes (00 00 03 -> 00 00)."""
    out = bytearray()
    zeros = 0
    for b in nal:
        if zeros >= 2 and b == 3:
            zeros = 0
            continue
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


class _Bits:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def u(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.pos >> 3
            if byte >= len(self.data):
                raise SpsError("SPS ends early.")
            value = (value << 1) | ((self.data[byte] >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise SpsError("Bad Exp-Golomb code in SPS.")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)


def _skip_scaling_list(bits: _Bits, size: int) -> None:
    last, next_ = 8, 8
    for _ in range(size):
        if next_ != 0:
            next_ = (last + bits.se() + 256) % 256
        last = next_ if next_ != 0 else last


def parse_sps(nal: bytes) -> Sps:
    """*nal*: one SPS NAL unit including its one-byte header (type 7)."""
    if not nal or nal[0] & 0x1F != SPS_NAL_TYPE:
        raise SpsError("Not an SPS NAL unit.")
    bits = _Bits(unescape(nal[1:]))
    profile = bits.u(8)
    bits.u(8)  # constraint flags
    bits.u(8)  # level_idc
    bits.ue()  # seq_parameter_set_id
    chroma_format = 1
    if profile in HIGH_PROFILES:
        chroma_format = bits.ue()
        if chroma_format == 3:
            bits.u(1)  # separate_colour_plane_flag
        bits.ue()  # bit_depth_luma_minus8
        bits.ue()  # bit_depth_chroma_minus8
        bits.u(1)  # qpprime_y_zero_transform_bypass_flag
        if bits.u(1):  # seq_scaling_matrix_present_flag
            for i in range(8 if chroma_format != 3 else 12):
                if bits.u(1):
                    _skip_scaling_list(bits, 16 if i < 6 else 64)
    bits.ue()  # log2_max_frame_num_minus4
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()
    elif poc_type == 1:
        bits.u(1)
        bits.se()
        bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue()  # max_num_ref_frames
    bits.u(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs = bits.ue() + 1
    height_units = bits.ue() + 1
    frame_mbs_only = bits.u(1)
    if not frame_mbs_only:
        bits.u(1)  # mb_adaptive_frame_field_flag
    bits.u(1)  # direct_8x8_inference_flag
    crop = (0, 0, 0, 0)
    if bits.u(1):  # frame_cropping_flag
        crop = (bits.ue(), bits.ue(), bits.ue(), bits.ue())
    width = width_mbs * 16
    height = height_units * 16 * (2 - frame_mbs_only)
    crop_x = 2 if chroma_format in (1, 2) else 1
    crop_y = (2 if chroma_format == 1 else 1) * (2 - frame_mbs_only)
    width -= crop_x * (crop[0] + crop[1])
    height -= crop_y * (crop[2] + crop[3])
    full_range = False
    if bits.u(1):  # vui_parameters_present_flag
        if bits.u(1):  # aspect_ratio_info_present_flag
            if bits.u(8) == 255:  # Extended_SAR
                bits.u(16)
                bits.u(16)
        if bits.u(1):  # overscan_info_present_flag
            bits.u(1)
        if bits.u(1):  # video_signal_type_present_flag
            bits.u(3)  # video_format
            full_range = bool(bits.u(1))
    return Sps(profile, width, height, full_range)


def annexb_nals(data: bytes) -> list[bytes]:
    """NAL units of an Annex B byte stream (start codes 00 00 01 / 00 00 00 01)."""
    out: list[bytes] = []
    starts: list[int] = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        starts.append(i + 3)
        i = data.find(b"\x00\x00\x01", i + 3)
    for n, s in enumerate(starts):
        end = starts[n + 1] - 3 if n + 1 < len(starts) else len(data)
        nal = data[s:end].rstrip(b"\x00") if n + 1 < len(starts) else data[s:end]
        if nal:
            out.append(nal)
    return out


def first_sps(data: bytes) -> Sps | None:
    """The first SPS in an Annex B stream fragment, None when there is none."""
    for nal in annexb_nals(data):
        if nal[0] & 0x1F == SPS_NAL_TYPE:
            return parse_sps(nal)
    return None

package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {
    @ParameterizedTest(name = "{0} = {1} bytes")
    @CsvSource({
        "1, 512",                          // a plain number counts 512-byte sectors, as ploop init -s
        "20480, 10485760",
        "0, 0",
        "007, 3584",                       // decimal, even with a leading zero (ploop would read octal)
        "4096K, 4194304",
        "4096k, 4194304",
        "1K, 1024",
        "512M, 536870912",
        "512m, 536870912",
        "10G, 10737418240",
        "10g, 10737418240",
        "1T, 1099511627776",
        "2t, 2199023255552",
        "8388607T, 9223370937343148032",   // the largest T value that fits in a long
    })
    void parsesPloopSizes(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "G", "10GB", "1.5G", "-1", "+1", " 10G", "10G ", "10 G", "0x10", "10P", "ten", "1e3"})
    void rejectsWhatPloopRejectsWithTheAcceptedForms(String text) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("suffix K, M, G or T");
    }

    @Test
    void nullIsRejected() {
        assertThatThrownBy(() -> Sizes.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8388608T", "99999999999999999999", "18014398509481984"})
    void overflowIsTooLargeNotWrapped(String text) {
        assertThatThrownBy(() -> Sizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too large");
    }

    @ParameterizedTest(name = "{0} bytes = {1}")
    @CsvSource({
        "0, 0 B",
        "512, 512 B",
        "1023, 1023 B",
        "1024, 1 KiB",
        "1536, 1.5 KiB",
        "1048575, 1 MiB",                  // 1023.999 KiB must not print as "1024 KiB"
        "1048576, 1 MiB",
        "10737418240, 10 GiB",
        "1610612736, 1.5 GiB",
        "1099511627776, 1 TiB",
        "9223372036854775807, 8 EiB",
    })
    void humanSizesUseBinaryUnitsAndOneDecimal(long bytes, String text) {
        assertThat(Sizes.human(bytes)).isEqualTo(text);
    }

    @Test
    void humanExactAddsTheByteCount() {
        assertThat(Sizes.humanExact(10737418240L)).isEqualTo("10 GiB (10737418240 bytes)");
    }
}

package dev.nexttoken.defaultmodel;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * {@code model.properties} describes the files beside it: the digest and sizes that core's
 * {@code DefaultModel} trusts when it extracts and reuses them. A retrained model must update it.
 */
class DefaultModelResourcesTest {

    private static final String DIR = "/dev/nexttoken/default-model/";

    @Test
    void propertiesMatchTheFiles() throws IOException, NoSuchAlgorithmException {
        Properties recorded = new Properties();
        try (InputStream in = open("model.properties")) {
            recorded.load(in);
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long weightsSize;
        try (InputStream in = new DigestInputStream(open("model.safetensors"), sha)) {
            weightsSize = in.transferTo(OutputStream.nullOutputStream());
        }
        long configSize;
        try (InputStream in = open("config.json")) {
            configSize = in.transferTo(OutputStream.nullOutputStream());
        }
        assertEquals(HexFormat.of().formatHex(sha.digest()), recorded.getProperty("model.safetensors.sha256"));
        assertEquals(weightsSize, Long.parseLong(recorded.getProperty("model.safetensors.size")));
        assertEquals(configSize, Long.parseLong(recorded.getProperty("config.json.size")));
    }

    @Test
    void theNoticeShipsWithTheModel() throws IOException {
        try (InputStream in = open("NOTICE.md")) {
            assertNotNull(in);
        }
    }

    private static InputStream open(String file) {
        InputStream in = DefaultModelResourcesTest.class.getResourceAsStream(DIR + file);
        assertNotNull(in, DIR + file + " is not on the class path");
        return in;
    }
}

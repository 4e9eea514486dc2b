package dev.nexttoken.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class LoggingTest {

    @Test
    void logsGoToStandardErrorAndNd4jLogsOnlyWarnings() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = LoggingTest.class.getResourceAsStream("/simplelogger.properties")) {
            assertNotNull(in, "simplelogger.properties is on the class path");
            properties.load(in);
        }

        assertEquals("System.err", properties.getProperty("org.slf4j.simpleLogger.logFile"));
        assertEquals("warn", properties.getProperty("org.slf4j.simpleLogger.defaultLogLevel"));
        assertEquals("warn", properties.getProperty("org.slf4j.simpleLogger.log.org.nd4j"));
        assertEquals("warn", properties.getProperty("org.slf4j.simpleLogger.log.org.bytedeco"));
        assertEquals("warn", properties.getProperty(Logging.NEXTTOKEN_LEVEL));
    }

    @Test
    void verboseRaisesNexttokenToInfoAndKeepsJsonOutputClean() {
        CliRun run = CliRun.run("tokenize", "--verbose", "--start", "Hello world", "--json");

        assertEquals(0, run.exitCode());
        assertEquals("info", System.getProperty(Logging.NEXTTOKEN_LEVEL));
        assertEquals("{\"tokens\":[15496,995],\"pieces\":[\"Hello\",\" world\"]}\n", run.out());
    }
}

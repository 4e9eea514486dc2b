package dev.nexttoken.examples;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * The text of {@code nexttoken --version}: nexttoken's version (from the jar's manifest), the
 * Java runtime and the Nd4j version on the class path. It does not start Nd4j.
 */
public final class VersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = NextTokenCli.class.getPackage().getImplementationVersion();
        return new String[] {
            "nexttoken " + (version != null ? version : "(development build)"),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")",
            "Nd4j " + nd4jVersion(),
        };
    }

    /** The version in nd4j-api's Maven metadata, without loading any Nd4j class. */
    private static String nd4jVersion() {
        try (InputStream in = VersionProvider.class.getResourceAsStream(
                "/META-INF/maven/org.nd4j/nd4j-api/pom.properties")) {
            if (in == null) {
                return "(not on the class path)";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "(unknown version)");
        } catch (IOException e) {
            return "(unknown version)";
        }
    }
}

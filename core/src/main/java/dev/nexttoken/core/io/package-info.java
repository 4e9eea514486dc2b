/**
 * Reading and writing model files: Hugging Face's {@code config.json} ({@link
 * dev.nexttoken.core.io.ConfigJson}) and the safetensors format ({@link
 * dev.nexttoken.core.io.SafetensorsFile}), memory-mapped so that float32 weights are used without
 * a copy. {@link dev.nexttoken.core.model.Gpt2Weights#load(java.nio.file.Path)} puts the two
 * together for a GPT-2 model folder.
 */
package dev.nexttoken.core.io;

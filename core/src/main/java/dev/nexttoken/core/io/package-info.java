/**
 * Reading and writing model files: Hugging Face's {@code config.json} ({@link
 * dev.nexttoken.core.io.ConfigJson}) and the safetensors format ({@link
 * dev.nexttoken.core.io.SafetensorsFile}), whose tensors are read into Nd4j arrays or, on request,
 * used in place over the memory-mapped file. {@link dev.nexttoken.core.model.Gpt2Weights#load(java.nio.file.Path)} puts the two
 * together for a GPT-2 model folder.
 */
package dev.nexttoken.core.io;

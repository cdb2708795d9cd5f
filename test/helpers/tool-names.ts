/** The tools the server lists, in its order: five generation tools, list_providers, and the job tools. */
export const GENERATION_TOOLS = ['generate_text', 'generate_image', 'generate_video', 'generate_audio', 'tts'];
export const TOOL_NAMES = [...GENERATION_TOOLS, 'list_providers', 'get_job', 'cancel_job', 'list_jobs'];

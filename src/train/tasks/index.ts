// The configurations `oneprompt train --config NAME` knows. A model configuration joins with one line:
//   registerTask(myTask);
import { registerTask, taskNames } from '../task.js';
import { blobsConvTask, blobsTask } from './blobs.js';
import { onePromptTask } from './one-prompt.js';

for (const t of [onePromptTask('tiny'), onePromptTask('small'), onePromptTask('base'), onePromptTask('tiny128'), onePromptTask('brain128'), blobsTask, blobsConvTask]) if (!taskNames().includes(t.name)) registerTask(t);

export { getTask, taskNames } from '../task.js';

// The configurations `oneprompt train --config NAME` knows. A model configuration joins with one line:
//   registerTask(myTask);
import { registerTask, taskNames } from '../../train/task.js';
import { blobsConvTask, blobsTask } from '../../train/tasks/blobs.js';
import { onePromptTask } from './one-prompt-task.js';

for (const t of [
  onePromptTask('tiny'),
  onePromptTask('small'),
  onePromptTask('base'),
  onePromptTask('tiny128'),
  onePromptTask('brain128'),
  blobsTask,
  blobsConvTask,
])
  if (!taskNames().includes(t.name)) registerTask(t);

export { getTask, taskNames } from '../../train/task.js';
